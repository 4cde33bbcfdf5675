// Package match finds the structure in a pile of leads: which leads are
// the people of one company (an account, grouped by company domain), and
// which are one person recorded twice (duplicates, by normalised email
// address, phone number, or name at one company domain).
//
// B2B teams sell to companies, to several people in them. Three people of
// one firm who download content, attend a webinar and ask a question each
// look like weak interest as three leads; as one lead.Account they are a
// buying group in motion, which qualify.EvaluateAccount judges as one.
// And one person under two addresses is one prospect: lead.Merge joins
// the two records without losing a move, an activity or an opt-out.
//
//	m, err := match.New(match.Config{FreeMail: []string{"example-isp.net"}})
//	accounts, alone := m.Accounts(leads)   // by company domain
//	for _, d := range m.Duplicates(leads) { // candidates: d.Leads, d.Keys say why
//		merged := leads[d.Leads[0]]
//		for _, i := range d.Leads[1:] {
//			merged = lead.Merge(merged, leads[i])
//		}
//	}
//
// # Company domains
//
// A lead's company domain is its company's domain (lead.Company.Domain), or
// else the domain of its contact's email address, unless that is a free
// mail domain: an address at gmail.com says nothing about the company.
// [FreeMailDomains] lists the free mail domains the package knows;
// Config.FreeMail extends the list with the host's own. Domains are
// compared normalised ([Domain]): lower-case, without a scheme, a path, a
// leading "www." or a trailing dot. Subdomains are not folded into their
// parent (uk.acme.example is not acme.example): that needs the public
// suffix list, which a host that wants it applies before matching.
//
// # Duplicates
//
// Two leads are candidates for one person when they share a normalised
// email address ([Email]: case ignored, a "+tag" sub-address dropped, and
// for Gmail the dots of the local part), a normalised phone number
// ([Phone]: digits only, an international "00" prefix read as "+"), or a
// full name (two words or more, case and punctuation ignored) at one
// company domain: the same person under two addresses at one company.
// The addresses and numbers a lead was merged from (lead.MergedLead) count
// as its own. Candidates link transitively: a group of duplicates is
// every lead linked to another by some key. Whether they are one person is
// the host's judgement; [Duplicate].Keys says what links them.
//
// National and international forms of one number ("020 7946 0958" and
// "+44 20 7946 0958") differ: knowing the country code of a national
// number needs the country's numbering plan. A host that stores numbers
// in E.164 form matches them all.
//
// A [Matcher] is immutable and safe for concurrent use. Its functions take
// the leads as a slice and return indexes into it: nothing is copied but
// the accounts' leads (deep copies, lead.Lead.Clone).
package match
