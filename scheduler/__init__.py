"""Scheduled jobs, run as their own process (`points scheduler`), never inside API workers."""
