"""Product feedback: polls, ratings and NPS surveys, and the feedback board."""
