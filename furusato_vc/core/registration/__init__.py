"""The furusato registration claims model and the table of issuing bodies."""
