"""Lesson sources: loading Markdown lessons and cutting them into retrievable chunks."""
