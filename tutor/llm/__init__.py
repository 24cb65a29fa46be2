"""Chat-model backends behind the ChatModel protocol, one file per backend."""
