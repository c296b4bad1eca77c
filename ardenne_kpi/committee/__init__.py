"""The steering committee's room: committee snapshots and their comparison (`snapshots`), the
committee pack (`pack`: its figures collected once in `data`, laid out by `pdf` and `xlsx`),
the meeting mode's agenda from the pack's figures (`meeting`) and the Accueil page's
overview (`home`).
"""
