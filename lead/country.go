package lead

// ValidCountry reports whether code is an officially assigned ISO 3166-1
// alpha-2 code, in upper case ("GB"; "UK" and "gb" are not), as
// [Lead.Validate] requires of Company.Country.
func ValidCountry(code string) bool { return inCodeTable(iso3166, 2, code) }
