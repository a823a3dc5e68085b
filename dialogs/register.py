"""Placeholder: filled by the register work."""

from dialogs.base import Dialog
from dialogs.registry import Intent

DIALOGS: list[Dialog] = []
INTENTS: list[Intent] = []
