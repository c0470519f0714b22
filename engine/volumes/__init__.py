"""Volumes: named / anonymous volumes and bind mount preparation (see service.py)."""
