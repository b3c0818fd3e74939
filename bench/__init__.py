"""Benchmarks: smtplearn side by side with aiosmtpd, Postfix's smtp-sink and smtplib.

Run them all with ``python -m bench`` (or ``make bench``). Each module has one
job and a ``run(...) -> dict``; ``__main__`` runs them, writes
``bench/results/latest.json`` and prints a table of ratios against the
targets of issue 7 (see ``targets.py``). Every loop is bounded in count *and*
time, and every peer (servers, DNS) is started and stopped here, on 127.0.0.1.
"""
