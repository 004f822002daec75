"""Who may use Mwalimu and how: accounts and roles, sign-in checks, the throttle on failed sign-ins.

``accounts``  accounts, roles, Argon2id hashes and the staff record (``staff_actions``)
``access``    sign-in and role checks for the app (password or the sign-on proxy's header)
``throttle``  slows down repeated failed sign-ins, per name and per address
``cli``       ``python -m tutor.users``: add, list and change accounts from the server's shell

It uses only the shared modules at the top of :mod:`tutor`. Importing this package does no I/O.
"""
