"""Test doubles that ship with the package: a wire-compatible Ollama server (no FastAPI, stdlib only)."""
