"""Training code for RecPilot's learned parts that are fitted offline and shipped as weights
(``recpilot.training``); nothing here runs during a turn."""
