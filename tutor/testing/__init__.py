"""Test doubles that ship with the package: wire-compatible Ollama and OpenAI servers (stdlib only)."""
