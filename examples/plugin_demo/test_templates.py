"""Fuzz every template of the SMS connector: one test per template, named by its JSON pointer."""

from mergefield.pytest_plugin import connector_tests

test_sms_connector = connector_tests("connectors/sms.json")
