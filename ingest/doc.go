// Package ingest reads leads from the files CRM teams already have: lead
// JSON lines, and CSV exports of Salesforce, HubSpot, Odoo, Mautic or any
// other system, mapped to the lead model by one small mapping language.
// The quickstart, the batch requalification and the backtest all read
// through it, so an export is converted once, for every command, with the
// same errors (line, column, field path) everywhere.
//
// # Reading
//
// A [Reader] streams [Record]s: the lead, the line it starts on, and for
// a history (Options.History) its decision time and outcome. A row that
// does not give a lead is a Record with Err set, a [*RowError] listing
// every problem as a *lead.FieldError with the column it came from; the
// Reader goes on. Err reports what stops reading: a mapping that does not
// fit the header ([ErrMapping]), an input that cannot be read
// ([ErrInput]).
//
//	m, err := ingest.Preset("salesforce")
//	r := ingest.NewReader(f, ingest.Options{Mapping: m, Now: now})
//	for rec := range r.All() {
//		if rec.Err != nil {
//			log.Print(rec.Err) // line 7, lead "00Q5g...": company.country (column "Country"): "Narnia" is not a country ...
//			continue
//		}
//		decide(rec.Lead)
//	}
//	if err := r.Err(); err != nil { ... }
//
// Memory holds one lead's rows at a time, whatever the input's length.
// [Reader.Report] is what reading found besides the leads, and what a dry
// run shows: every value a value map did not translate, with its count,
// the order of each column's numeric dates, the columns read as custom
// fields or withheld, the rows that are not data.
//
// # Real exports
//
// The reader takes an export as it comes, or says exactly why not:
//
//   - UTF-8 with or without a byte order mark, UTF-16 with one, and
//     Windows-1252: by default each cell that is not valid UTF-8 is read
//     as Windows-1252 and counted in the report (see [Encoding]);
//   - CRLF line breaks; a delimiter of ',', ';', tab or '|' found in the
//     header line;
//   - "N/A", "#N/A", "null", "(null)", "none", "-" and empty as missing
//     (the missing: setting replaces the list);
//   - 0/1, yes/no, true/false, y/n, on/off, x for booleans;
//   - "1,098" and "1.098,50" (thousands: and decimal: settings), "£50,000",
//     "50000 GBP" and "GBP 50000" for money;
//   - ISO dates, dates with month names, and numeric dates day-first or
//     month-first: a date that reads as two different days (03/04/2026) is
//     an error naming both, never a guess, until the column's order is
//     said (date(DD/MM/YYYY)); the report counts each column's dates by how
//     they are written, so one dry run tells which order a file uses;
//   - country names and codes ("United Kingdom", "UK", "GBR", "Deutschland")
//     as ISO 3166-1 alpha-2 codes; a URL as a company's domain;
//   - the header repeated inside the file, blank rows, a report's totals
//     row ("Grand Totals (10000 records)") and the footer lines after it:
//     skipped and counted;
//   - several rows per lead: one per activity, or one per contact and
//     company pair, following one another with the same ID.
//
// # The mapping language
//
// A mapping is a list of statements, one per line or separated by commas
// (the form a command-line flag holds). A # that starts a line or follows
// a space starts a comment. Text with a comma, =, :, |, ;, +, #, a
// parenthesis, a quote or surrounding spaces is written in double quotes,
// a quote inside doubled.
//
//	# comments
//	zone: Europe/London                      # a setting
//	id = Lead ID                             # target = column
//	contact.name = First Name + Last Name    # columns joined with a space
//	company.employees = No. of Employees; Employees   # the first column present
//	company.country = Country                # names and codes become ISO codes
//	consent.email = Email Opt Out | bool | invert     # a ticked opt-out is opted_out, unticked opted_in
//	stage = Lead Status | map("Open - Not Contacted"=new; Working=sales_accepted; *=new)
//	activity[source] = Lead Source | map(Webinar=webinar_attended; Web=contact_request; *=)
//	activity[source].at = Created Date | date(DD/MM/YYYY)
//	converted = Converted | bool             # an outcome: never a signal
//	converted_at = Converted Date | date(DD/MM/YYYY)  # when it converted: an outcome too
//	after = Last Activity                    # known only after the fact: read by nothing
//
// A target is a part of the lead, named as in its JSON form: id, source,
// stage, owner, lost_reason, contact.name, contact.email, contact.phone,
// contact.title, contact.role, contact.time_zone, company.name,
// company.domain, company.industry, company.employees, company.country,
// budget and value (money; budget.currency and value.currency name a
// currency column), expected_purchase, renewal, created_at, updated_at,
// consent.<channel> (opted_in, opted_out, unknown, "opted_in@time", or a
// boolean) and consent.<channel>.at, fields.<name> (a custom field), and:
//
//   - activities: several activities in one cell, "kind@time;kind@time"
//     (demo_request@2026-03-02T08:58:00Z), or a JSON array of activities;
//     interests likewise, "topic@time;topic@first/last";
//   - activity, activity.at, activity.product, activity.asset,
//     activity.channel: one activity per row (a row per activity, the rows
//     of a lead following one another with the same ID);
//   - activity[<label>] and activity[<label>].at, .product, .asset,
//     .channel: more activities per row, one per label. The label is the
//     activity's kind when no activity[<label>] column gives one:
//     activity[webinar_attended].at = Webinar Date;
//   - decided_at, converted, converted_at, won, won.currency: a history's
//     decision time and outcome (see Conversions below). Outcome columns
//     feed nothing a rule can read;
//   - after: columns known only after the fact (the last activity, a close
//     date): read by nothing, so that they cannot leak into a backtest;
//     ignore: columns read by nothing.
//
// A column that feeds an outcome or is known only after the fact feeds no
// other target, except stage and lost_reason, which a backtest rewinds to
// the decision time; the mapping is refused otherwise.
//
// A target's columns are alternatives separated by ";": the first present
// in the header is read. Columns joined by "+" fill a text target with
// their non-missing values separated by a space. Email#2 is the second
// column named Email.
//
// Options follow the columns, each after a "|":
//
//   - map(value=translation; ...; *=default): translates a column's values
//     (picklists) before they are read. Values match ignoring case. A value
//     that is not in the map is kept as written, and counted in the report,
//     unless *= gives a default; an empty translation means missing. The
//     translations are checked against the target: a stage for stage, a
//     consent state for consent, true or false for converted, any word for
//     an activity's kind (the catalogue of kinds is the host's);
//   - bool: the column holds booleans (true/false, 1/0, yes/no); invert
//     reads them the other way round (an opt-out column); present: a value
//     means true, none false (a custom field's date as a flag; a column of
//     conversion dates is converted_at, which gives the time as well);
//   - date(DD/MM/YYYY), date(MM/DD/YYYY), date(YYYY-MM-DD), with YY for a
//     two-digit year: the order of the column's numeric dates; a time and
//     a zone may follow any date;
//   - zone(Europe/London): where the column's times without a zone are;
//   - thousands(",") and decimal(","): how the column writes numbers;
//   - currency(GBP): the currency of the column's amounts without one.
//
// Settings apply to every column: zone, date, thousands, decimal, currency,
// missing (the markers of a missing value, separated by ";"), encoding
// (auto, utf-8, windows-1252), delimiter, conflicts (error: the rows of a
// lead must agree; first: the first row's value is kept and the
// disagreement counted), unmapped (fields: columns the mapping does not
// name become custom fields, named after their header in snake case, as
// "No. of Employees" becomes fields.no_of_employees; ignore).
//
// A target the mapping does not name is read from a column named after it
// (the default layout: a header "contact.email" fills contact.email), so
// the nil *Mapping reads an export whose headers are the lead's field
// paths, and a mapping need only name the columns an export calls
// differently.
//
// # Conversions
//
// A history's outcome is converted (true or false) and, when the export
// has it, converted_at: when the lead converted, read as every time
// column is (the column's date order, its zone or the mapping's, the
// missing markers; a numeric date that reads as two days is an error
// naming both). A conversion time means that the lead converted, so one
// column of conversion dates, such as Salesforce's Converted Date or
// HubSpot's Became a Customer Date, is the whole outcome: map it as
// converted_at alone, and a date is a conversion at that time, an empty
// cell no conversion. (converted = Converted Date | present beside it
// says the same.) When converted has its own column, the two must agree:
// a conversion time on a lead that column says did not convert is an
// error of the record, at the converted_at column's line and column (an
// empty converted cell says nothing, and the conversion time decides); a
// lead that converted without a time is read, its time unknown. A
// conversion time before the decision time is an error too; a date
// without a time of day stands for the whole day, so that a lead decided
// and converted on the same day converts at its decision time. The rows
// of a lead must agree on it, as on converted. A JSON history record's
// "converted_at" needs "converted": true and is never before its "at".
//
// # Presets
//
// [Preset] returns the mapping of a CRM's standard export: salesforce,
// hubspot, odoo and mautic ([Presets]). A preset's columns are optional,
// and columns it does not name become custom fields. An organisation
// extends a preset with its own statements, for its picklists above all
// (Lead Source "Webinar" is interest; "Web" with a contact form is need,
// but only in the organisation that says so):
//
//	own, err := ingest.ParseMapping("acme.map", `
//	    activity[source] = Lead Source | map(Webinar=webinar_attended; Web=contact_request; *=)
//	    activity[source].at = Created Date`)
//	m := ingest.MustPreset("salesforce").With(own)
package ingest
