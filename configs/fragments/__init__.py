"""Gin fragments that experiment configs include as configs/fragments/NAME.gin."""
