package enum_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leadqual/leadqual/internal/enum"
)

type color uint8

var colors = enum.Table[color]{Type: "color", Names: []string{"red", "green", "blue"}}

func TestTableName(t *testing.T) {
	tests := []struct {
		name string
		v    color
		want string
	}{
		{"first", 0, "red"},
		{"last", 2, "blue"},
		{"just out of range", 3, "color(3)"},
		{"max", 255, "color(255)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, colors.Name(tt.v))
			assert.Equal(t, int(tt.v) < len(colors.Names), colors.Valid(tt.v))
		})
	}
}

func TestTableParse(t *testing.T) {
	for i, n := range colors.Names {
		v, err := colors.Parse(n)
		require.NoError(t, err, n)
		assert.Equal(t, color(i), v, n)
	}
	tests := []struct {
		name, in string
	}{
		{"unknown", "purple"},
		{"empty", ""},
		{"case matters", "Red"},
		{"no trimming", " red"},
		{"a number is not a name", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := colors.Parse(tt.in)
			require.Error(t, err)
			assert.Zero(t, v)
			assert.EqualError(t, err, `unknown color "`+tt.in+`" (accepted: red, green, blue)`)
		})
	}
}

func TestTableMarshal(t *testing.T) {
	b, err := colors.Marshal(1)
	require.NoError(t, err)
	assert.Equal(t, "green", string(b))

	b, err = colors.Marshal(3)
	assert.EqualError(t, err, "invalid color 3")
	assert.Nil(t, b)
}

func TestTableScan(t *testing.T) {
	tests := []struct {
		name    string
		src     any
		want    color
		wantErr string
	}{
		{name: "string", src: "blue", want: 2},
		{name: "bytes", src: []byte("green"), want: 1},
		{name: "unknown string", src: "purple", wantErr: `unknown color "purple" (accepted: red, green, blue)`},
		{name: "unknown bytes", src: []byte("Blue"), wantErr: `unknown color "Blue" (accepted: red, green, blue)`},
		{name: "NULL", src: nil, wantErr: "cannot scan NULL into a color"},
		{name: "int64", src: int64(1), wantErr: "cannot scan int64 into a color"},
		{name: "int", src: 1, wantErr: "cannot scan int into a color"},
		{name: "float", src: 1.0, wantErr: "cannot scan float64 into a color"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := colors.Scan(tt.src)
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestTableScanDoesNotKeepTheBuffer(t *testing.T) {
	// database/sql may reuse a []byte after Scan returns.
	buf := []byte("blue")
	got, err := colors.Scan(buf)
	require.NoError(t, err)
	copy(buf, "xxxx")
	assert.Equal(t, "blue", colors.Name(got))
}

func TestTableValue(t *testing.T) {
	for i, n := range colors.Names {
		v, err := colors.Value(color(i))
		require.NoError(t, err)
		assert.Equal(t, n, v)
		back, err := colors.Scan(v)
		require.NoError(t, err)
		assert.Equal(t, color(i), back)
	}
	v, err := colors.Value(7)
	assert.EqualError(t, err, "invalid color 7")
	assert.Nil(t, v)
}

func TestScanString(t *testing.T) {
	tests := []struct {
		name    string
		src     any
		want    string
		wantErr string
	}{
		{name: "string", src: "x", want: "x"},
		{name: "empty string", src: "", want: ""},
		{name: "bytes", src: []byte("y"), want: "y"},
		{name: "NULL", src: nil, wantErr: "cannot scan NULL into a kind"},
		{name: "int64", src: int64(3), wantErr: "cannot scan int64 into a kind"},
		{name: "bool", src: true, wantErr: "cannot scan bool into a kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := enum.ScanString("kind", tt.src)
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				assert.Empty(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
