// Placeholders replaced by the format implementations.
