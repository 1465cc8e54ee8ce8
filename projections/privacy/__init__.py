"""Personal data across the contexts: whose records a person's are (`subjects`), and what is held about them (`holdings`).

Not a read schema: nothing here declares tables or handlers, and this package imports nothing on purpose.
"""
