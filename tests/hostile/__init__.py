"""Hostile servers that attack the SDK's listing engine through its public API only."""
