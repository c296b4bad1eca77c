"""The steering committee's room: what the committee reads, gathered once (`briefing`), laid
out as the committee pack (`pack`: `pdf` and `xlsx`) and as the meeting mode's agenda
(`meeting`); committee snapshots and their comparison (`snapshots`); the Accueil page's
overview (`home`).
"""
