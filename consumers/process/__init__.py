"""Process managers: reactors whose side effect is a command on another stream."""
