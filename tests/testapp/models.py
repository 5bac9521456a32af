"""Host models the test suite provisions into."""
