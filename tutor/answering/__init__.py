"""The answer pipeline: scope gate, retrieval query, composition, prompts, echo tidying and citations."""
