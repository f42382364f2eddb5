"""Project settings that other capabilities write into: the project's environment."""
