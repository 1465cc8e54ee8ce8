"""The identity context's consumers: an accepted invitation makes a membership; invitations expire."""
