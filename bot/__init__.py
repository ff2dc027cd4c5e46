"""Vouch: the Discord bot that runs an invitation-only brand community."""

__version__ = "0.1.0"
