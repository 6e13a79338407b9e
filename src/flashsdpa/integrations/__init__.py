"""Integrations with other libraries; each is imported on its own, and only if that library is."""
