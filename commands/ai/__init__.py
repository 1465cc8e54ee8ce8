"""The ai context: the AI fit review of an application (domain §9), its history kept on one stream per
application (`aireview-<application id>`)."""
