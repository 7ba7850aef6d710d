"""English formats; Danish date input still works so a switched language loses nothing."""

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d.m.Y"
DATE_INPUT_FORMATS = ["%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
