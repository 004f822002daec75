"""Mwalimu, an offline AI-literacy tutor that answers from its library with citations.

The package is laid out by stage: ``library`` (files -> index), ``answers`` (question -> cited answer),
``learning`` (modules, quizzes, progress), ``users`` (accounts and roles), then ``audit``, ``eval`` and ``ui``
on top; the shared small modules sit here. The README's "Where things are" maps it (a test keeps it true).
Importing the package does no I/O.
"""
