package backtest

// HeldOut reports whether the lead with this ID is in the held-out part of
// a split that holds out about `fraction` of the leads (0 to 1), the part
// Calibrate reports on after fitting on the rest.
//
// The split is a hash of salt and ID, so it is the same in every run, on
// every machine, whatever the order of the history; every record of one
// lead (a lead decided at several times) falls on the same side; and a
// different salt gives an independent split. The hash is 64-bit FNV-1a
// followed by the SplitMix64 finaliser, which spreads IDs that differ in
// one character ("L-00017", "L-00018") evenly.
func HeldOut(id, salt string, fraction float64) bool {
	return unit(idHash(salt, id)) < fraction
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) * 0x1p-53 }

// idHash hashes salt and id, separated so that ("a", "bc") and ("ab", "c")
// differ.
func idHash(salt, id string) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(salt); i++ {
		h ^= uint64(salt[i])
		h *= prime
	}
	h ^= 0xff // a byte that UTF-8 never contains
	h *= prime
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= prime
	}
	// SplitMix64's finaliser.
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}
