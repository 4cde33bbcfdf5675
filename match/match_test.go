package match_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/match"
)

var t0 = time.Date(2025, time.March, 3, 9, 0, 0, 0, time.UTC)

func TestDomain(t *testing.T) {
	for in, want := range map[string]string{
		"acme.example":                   "acme.example",
		" ACME.Example. ":                "acme.example",
		"https://www.acme.example/about": "acme.example",
		"http://acme.example:8080":       "acme.example",
		"www.www.acme.example":           "acme.example",
		"www.com":                        "www.com",
		"uk.acme.example":                "uk.acme.example",
		"société.example":                "société.example",
		"localhost":                      "",
		"acme example.com":               "",
		"-acme.example":                  "",
		"acme..example":                  "",
		"":                               "",
		"ann@acme.example":               "",
	} {
		assert.Equal(t, want, match.Domain(in), "%q", in)
	}
}

func TestEmail(t *testing.T) {
	for in, want := range map[string]string{
		"Ann.Lee@Acme.Example":         "ann.lee@acme.example",
		" ann+newsletter@acme.example": "ann@acme.example",
		"a.n.n.lee@gmail.com":          "annlee@gmail.com",
		"Ann.Lee+x@GoogleMail.com":     "annlee@gmail.com",
		"+tag@acme.example":            "+tag@acme.example",
		"ann@localhost":                "",
		"@acme.example":                "",
		"Ann <ann@acme.example>":       "",
		"not an address":               "",
		"":                             "",
	} {
		assert.Equal(t, want, match.Email(in), "%q", in)
	}
}

func TestPhone(t *testing.T) {
	for in, want := range map[string]string{
		"+44 20 7946 0958":     "+442079460958",
		"0044 (20) 7946-0958":  "+442079460958",
		"020 7946 0958":        "02079460958",
		"555-0100":             "5550100",
		"555-010":              "",
		"+44 20 7946 0958 x12": "",
		"1234567890123456":     "",
		"":                     "",
	} {
		assert.Equal(t, want, match.Phone(in), "%q", in)
	}
}

func TestName(t *testing.T) {
	assert.Equal(t, "ann lee", match.Name("  Ann   LEE "))
	assert.Equal(t, "ann lee", match.Name("Ann Lee."))
	assert.Equal(t, "mary o'brien", match.Name("Mary O'Brien"))
	assert.Equal(t, "", match.Name("Ann"))
}

func TestNewRefusesBadFreeMail(t *testing.T) {
	_, err := match.New(match.Config{FreeMail: []string{"isp.example", "not a domain"}})
	require.ErrorIs(t, err, match.ErrInvalidConfig)
	assert.ErrorContains(t, err, `FreeMail[1]: "not a domain" is not a domain name`)
}

func TestCompanyDomain(t *testing.T) {
	m, err := match.New(match.Config{FreeMail: []string{"ISP.example"}})
	require.NoError(t, err)
	for _, tt := range []struct {
		name string
		l    lead.Lead
		want string
	}{
		{"the company's domain first", lead.Lead{Company: lead.Company{Domain: "www.acme.example"}, Contact: lead.Contact{Email: "ann@other.example"}}, "acme.example"},
		{"else the email's", lead.Lead{Contact: lead.Contact{Email: "ann@Acme.example"}}, "acme.example"},
		{"never a free mail domain", lead.Lead{Contact: lead.Contact{Email: "ann@gmail.com"}}, ""},
		{"nor the host's own", lead.Lead{Contact: lead.Contact{Email: "ann@isp.example"}}, ""},
		{"nothing", lead.Lead{}, ""},
	} {
		assert.Equal(t, tt.want, m.CompanyDomain(&tt.l), tt.name)
	}
	assert.True(t, m.FreeMail("GMAIL.com"))
	assert.True(t, m.FreeMail("isp.example"))
	assert.False(t, m.FreeMail("acme.example"))
	fm := match.FreeMailDomains()
	fm[0] = "changed"
	assert.NotEqual(t, "changed", match.FreeMailDomains()[0])
}

func TestAccounts(t *testing.T) {
	m, err := match.New(match.Config{})
	require.NoError(t, err)
	leads := []lead.Lead{
		{ID: "L-1", Contact: lead.Contact{Email: "ann@acme.example"}, Owner: "rep-1", CreatedAt: t0.Add(time.Hour)},
		{ID: "L-2", Contact: lead.Contact{Email: "bob@gmail.com"}},
		{ID: "L-3", Contact: lead.Contact{Email: "cy@beta.example"}, Company: lead.Company{Name: "Beta"}},
		{ID: "L-4", Contact: lead.Contact{Email: "dee@gmail.com"}, Company: lead.Company{Name: "Acme Ltd", Domain: "acme.example", Employees: 80},
			Owner: "rep-1", CreatedAt: t0},
		{ID: "L-5", Company: lead.Company{Domain: "beta.example"}, Owner: "rep-2"},
		{ID: "L-6", Company: lead.Company{Domain: "beta.example"}, Owner: "rep-3"},
	}
	accounts, alone := m.Accounts(leads)
	assert.Equal(t, []int{1}, alone)
	require.Len(t, accounts, 2)
	acme, beta := accounts[0], accounts[1]
	assert.Equal(t, "acme.example", acme.ID)
	assert.Equal(t, lead.Company{Name: "Acme Ltd", Domain: "acme.example", Employees: 80}, acme.Company)
	assert.Equal(t, "rep-1", acme.Owner, "the one owner its leads name")
	assert.Equal(t, t0, acme.CreatedAt)
	assert.Equal(t, []string{"L-1", "L-4"}, leadIDs(acme.Leads))
	assert.Equal(t, "", beta.Owner, "two owners: none chosen")
	assert.Equal(t, []string{"L-3", "L-5", "L-6"}, leadIDs(beta.Leads))
	for _, a := range accounts {
		require.NoError(t, a.Validate(t0.Add(time.Hour)))
	}

	acme.Leads[0].Contact.Email = "changed"
	assert.Equal(t, "ann@acme.example", leads[0].Contact.Email, "the accounts' leads are copies")
}

func leadIDs(ls []lead.Lead) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.ID)
	}
	return out
}

func TestDuplicates(t *testing.T) {
	m, err := match.New(match.Config{})
	require.NoError(t, err)
	leads := []lead.Lead{
		0: {ID: "L-0", Contact: lead.Contact{Name: "Ann Lee", Email: "Ann.Lee@acme.example"}},
		1: {ID: "L-1", Contact: lead.Contact{Name: "Bob Ray", Email: "bob@acme.example"}},
		2: {ID: "L-2", Contact: lead.Contact{Email: "ann.lee+events@acme.example", Phone: "+44 20 7946 0958"}},
		3: {ID: "L-3", Contact: lead.Contact{Name: "Cy", Phone: "0044 20 7946 0958"}},
		4: {ID: "L-4", Contact: lead.Contact{Name: "ann lee", Email: "alee@acme.example"}},
		5: {ID: "L-5", Contact: lead.Contact{Name: "Ann Lee", Email: "ann.lee@gmail.com"}},
		6: {ID: "L-6", Contact: lead.Contact{Name: "Dee Fox", Email: "dee@beta.example"},
			Merged: []lead.MergedLead{{ID: "L-99", Email: "dfox@beta.example"}}},
		7: {ID: "L-7", Contact: lead.Contact{Email: "DFox@beta.example"}},
		8: {ID: "L-8", Contact: lead.Contact{Name: "Ann Lee", Email: "ann@other.example"}},
	}
	got := m.Duplicates(leads)
	assert.Equal(t, []match.Duplicate{
		{Leads: []int{0, 2, 3, 4}, Keys: []string{
			"email:ann.lee@acme.example", "name:ann lee@acme.example", "phone:+442079460958"}},
		{Leads: []int{6, 7}, Keys: []string{"email:dfox@beta.example"}},
	}, got, "a free mail address and another company's domain are not one person by name alone")
	assert.Empty(t, m.Duplicates(nil))
	assert.Empty(t, m.Duplicates(leads[:2]))
}

func TestDuplicatesScale(t *testing.T) {
	m, err := match.New(match.Config{})
	require.NoError(t, err)
	var leads []lead.Lead
	for i := range 20000 {
		email := "p" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "@acme.example"
		leads = append(leads, lead.Lead{ID: "L", Contact: lead.Contact{Email: email}})
	}
	got := m.Duplicates(leads)
	assert.Len(t, got, 7*26, "one group per distinct address")
	n := 0
	for _, g := range got {
		n += len(g.Leads)
	}
	assert.Equal(t, len(leads), n)
}
