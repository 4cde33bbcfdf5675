// Package recycle keeps lost and "not now" leads alive: reasons, horizons,
// new interests, and a scheduler over a host-supplied Store.
package recycle
