"""Renderers: ``as_json`` (stdlib only, for scripts) and ``human`` (the only module that imports Rich)."""
