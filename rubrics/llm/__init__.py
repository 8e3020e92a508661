"""The LLM judge: any litellm model grades against the rubric; litellm is imported lazily."""
