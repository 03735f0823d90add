"""gin-triggers: gin-configurable training triggers for TF-Agents."""

import setuptools

# The stack tested on this project's machines. A newer TensorFlow breaks Reverb.
INSTALL_REQUIRES = [
    'tensorflow==2.15.1',
    'tf-agents[reverb]==0.19.0',
    'dm-reverb==0.14.0',
    'tensorflow-probability==0.23.0',
    'gin-config==0.5.0',
    'absl-py==2.5.1',
    'pybullet==3.2.7',
    'gym==0.23.0',
    'matplotlib==3.9.4',  # `policies plot`
    'imageio==2.38.1',  # `policies video` writes MP4 through
    'imageio-ffmpeg==0.8.1',  # the ffmpeg binary this package ships.
    # pybullet_envs imports pkg_resources, which setuptools 81 removed.
    'setuptools<81',
]

TEST_REQUIRES = [
    'pytest==9.2.0',
    'pytest-xdist==3.8.0',  # `make test` runs test files on 2 workers.
]

# `train_eval --launcher=ray`: the jobs as Ray actors across a cluster.
RAY_REQUIRES = [
    'ray==2.60.0',
]

# `sweep run --search=optuna`: a search over ranges instead of a grid.
OPTUNA_REQUIRES = [
    'optuna==5.0.0',
]

setuptools.setup(
    name='gin-triggers',
    version='0.1.0',
    description='gin-configurable training triggers for TF-Agents',
    python_requires='>=3.11,<3.12',
    packages=setuptools.find_packages(include=['triggers*', 'train_eval*', 'configs*', 'policies_tool*',
                                                'sweep*']),
    package_data={'configs': ['*.gin'], 'configs.fragments': ['*.gin']},
    install_requires=INSTALL_REQUIRES,
    extras_require={'test': TEST_REQUIRES, 'ray': RAY_REQUIRES,
                    'optuna': OPTUNA_REQUIRES},
    entry_points={
        'console_scripts': [
            'train_eval = train_eval.train_eval:run_main',
            'policies = policies_tool.cli:run_main',
            'sweep = sweep.cli:run_main',
        ],
    },
)
