"""The learning desk: modules, quizzes and their grading, practice questions, learners' progress.

It builds on the library (documents and their ids), the answers (citations) and the accounts
(:mod:`tutor.users`); nothing below it imports it.
"""
