// filled in with the report page
