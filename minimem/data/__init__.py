"""Data generators and readers for the course. Nothing is downloaded: data is generated or
read from files the learner already has."""
