"""Placeholder: filled by the login work."""

from dialogs.base import Dialog
from dialogs.registry import Intent

DIALOGS: list[Dialog] = []
INTENTS: list[Intent] = []
