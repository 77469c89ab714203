"""The rules: one module per rule class (or a tight family), nothing else.

:mod:`asyncheck.app.registry` finds them; adding a rule is adding a module here.
"""
