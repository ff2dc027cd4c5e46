"""Founder sessions."""
