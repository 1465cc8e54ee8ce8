"""Samples of the chat email (consumers/notifications/chat.py): a person's message, and a system message."""

from __future__ import annotations

SAMPLES = {
    "chat_message": [
        {"sender_name": "Rita Recruiter", "recipient_name": "Carl Candidate", "system": False,
         "action_url": "https://candidates.example.com/messages/5b3f0d36-8a5e-4d4f-9d55-0c6e4f1f7f11"},
        {"sender_name": "Someone", "recipient_name": None, "system": True,
         "action_url": "https://portal.example.com/messages/5b3f0d36-8a5e-4d4f-9d55-0c6e4f1f7f11"},
    ],
}
