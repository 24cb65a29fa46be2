"""Read-aloud: Vietnamese text normalised the way a speaker says it, turned into WAV by an offline engine, cached."""
