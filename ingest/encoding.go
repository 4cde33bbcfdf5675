package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Encoding is the character encoding of an export.
//
// The zero value is EncodingAuto: a byte order mark decides (UTF-8, or
// UTF-16 as Excel's "Unicode text" writes it), and without one the text is
// UTF-8, except each cell that is not valid UTF-8, which is read as
// Windows-1252 (the encoding of exports written on Windows in western
// Europe and the Americas) and counted in [Report].Windows1252Cells, so
// that the guess is never silent.
type Encoding uint8

// The encodings.
const (
	EncodingAuto        Encoding = iota // a byte order mark, else UTF-8 with Windows-1252 cells where UTF-8 is invalid
	EncodingUTF8                        // UTF-8; invalid bytes are an error of the cell
	EncodingWindows1252                 // every byte is a Windows-1252 character (a superset of ISO 8859-1's printable ones)
)

var encodingNames = []string{"auto", "utf-8", "windows-1252"}

// String returns "auto", "utf-8" or "windows-1252".
func (e Encoding) String() string {
	if int(e) < len(encodingNames) {
		return encodingNames[e]
	}
	return fmt.Sprintf("Encoding(%d)", uint8(e))
}

// ParseEncoding reads an encoding's name: auto, utf-8 (utf8), windows-1252
// (cp1252, latin1, iso-8859-1: Windows-1252 is what exports labelled
// Latin-1 really hold). Case does not matter.
func ParseEncoding(s string) (Encoding, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return EncodingAuto, nil
	case "utf-8", "utf8":
		return EncodingUTF8, nil
	case "windows-1252", "cp1252", "latin1", "latin-1", "iso-8859-1", "iso8859-1":
		return EncodingWindows1252, nil
	}
	return 0, fmt.Errorf("unknown encoding %q (want auto, utf-8 or windows-1252)", s)
}

// win1252 maps the bytes 0x80 to 0x9F of Windows-1252 to their code points,
// as the WHATWG Encoding Standard does: the five bytes Windows leaves
// undefined become the C1 controls of the same value, so that no byte is
// lost. Every other byte is its own code point (ISO 8859-1).
var win1252 = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, // 80-87
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F, // 88-8F
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, // 90-97
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178, // 98-9F
}

// decode1252 returns the Windows-1252 bytes of s as UTF-8.
func decode1252(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x80:
			b.WriteByte(c)
		case c < 0xA0:
			b.WriteRune(win1252[c-0x80])
		default:
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}

// cellText returns the text of a raw cell in encoding enc, and whether it
// was read as Windows-1252 though the encoding is auto.
func cellText(raw string, enc Encoding) (text string, fellBack bool, err error) {
	switch enc {
	case EncodingWindows1252:
		if isASCII(raw) {
			return raw, false, nil
		}
		return decode1252(raw), false, nil
	case EncodingUTF8:
		if !utf8.ValidString(raw) {
			return raw, false, errors.New("not valid UTF-8 (say encoding: windows-1252 for an export written on Windows)")
		}
		return raw, false, nil
	}
	if utf8.ValidString(raw) {
		return raw, false, nil
	}
	return decode1252(raw), true, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// The byte order marks.
var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// unmark returns r without a UTF-8 byte order mark, and as UTF-8 when it
// starts with a UTF-16 one.
func unmark(r *bufio.Reader) io.Reader {
	head, _ := r.Peek(3)
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		r.Discard(3)
	case bytes.HasPrefix(head, bomUTF16LE):
		r.Discard(2)
		return &utf16Reader{r: r, little: true}
	case bytes.HasPrefix(head, bomUTF16BE):
		r.Discard(2)
		return &utf16Reader{r: r}
	}
	return r
}

// utf16Reader transcodes UTF-16 to UTF-8. An unpaired surrogate becomes
// U+FFFD; an odd last byte is an error.
type utf16Reader struct {
	r      io.ByteReader
	little bool
	out    []byte // transcoded, not yet read
	hi     rune   // a high surrogate waiting for its pair, or 0
	err    error
}

func (u *utf16Reader) unit() (rune, error) {
	a, err := u.r.ReadByte()
	if err != nil {
		return 0, err
	}
	b, err := u.r.ReadByte()
	if err == io.EOF {
		return 0, errors.New("UTF-16 text ends in the middle of a character")
	}
	if err != nil {
		return 0, err
	}
	if u.little {
		return rune(b)<<8 | rune(a), nil
	}
	return rune(a)<<8 | rune(b), nil
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) < len(p) && u.err == nil {
		c, err := u.unit()
		if err != nil {
			u.err = err
			if u.hi != 0 {
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
				u.hi = 0
			}
			break
		}
		switch {
		case u.hi != 0:
			r := utf16.DecodeRune(u.hi, c)
			u.hi = 0
			if r == utf8.RuneError && utf16.IsSurrogate(c) && c < 0xDC00 {
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
				u.hi = c
				continue
			}
			if r == utf8.RuneError {
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
				if !utf16.IsSurrogate(c) {
					u.out = utf8.AppendRune(u.out, c)
				}
				continue
			}
			u.out = utf8.AppendRune(u.out, r)
		case c >= 0xD800 && c < 0xDC00:
			u.hi = c
		case c >= 0xDC00 && c < 0xE000:
			u.out = utf8.AppendRune(u.out, utf8.RuneError)
		default:
			u.out = utf8.AppendRune(u.out, c)
		}
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	if n == 0 && u.err != nil {
		return 0, u.err
	}
	return n, nil
}
