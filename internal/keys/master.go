package keys

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// The environment variables LoadMaster reads.
const (
	EnvMasterKey             = "PRESAGE_MASTER_KEY"
	EnvMasterKeyFile         = "PRESAGE_MASTER_KEY_FILE"
	EnvMasterKeyPrevious     = "PRESAGE_MASTER_KEY_PREVIOUS"
	EnvMasterKeyPreviousFile = "PRESAGE_MASTER_KEY_PREVIOUS_FILE"
)

// MasterKeyFile is the name of the generated master key file in the data
// directory.
const MasterKeyFile = "master.key"

// MasterConfig says where LoadMaster looks for the master key.
type MasterConfig struct {
	DataDir string              // holds master.key when no variable names a key
	Getenv  func(string) string // os.Getenv outside tests
}

// LoadMaster returns the current master key and the previous ones still
// accepted for unwrapping during a rotation. The current key comes from
// PRESAGE_MASTER_KEY, else from the file PRESAGE_MASTER_KEY_FILE names, else
// from DataDir/master.key, which is generated on first start (generated is
// then true). Previous keys come from PRESAGE_MASTER_KEY_PREVIOUS (a
// comma-separated list) and PRESAGE_MASTER_KEY_PREVIOUS_FILE. Errors name
// the source, never the key.
func LoadMaster(cfg MasterConfig) (current *MasterKey, previous []*MasterKey, generated bool, err error) {
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	switch {
	case getenv(EnvMasterKey) != "":
		current, err = parseMasterKey(EnvMasterKey, getenv(EnvMasterKey))
	case getenv(EnvMasterKeyFile) != "":
		current, err = readMasterKeyFile(getenv(EnvMasterKeyFile))
	default:
		current, generated, err = loadOrGenerate(cfg.DataDir)
	}
	if err != nil {
		return nil, nil, false, err
	}
	previous, err = loadPrevious(getenv, current)
	if err != nil {
		return nil, nil, false, err
	}
	return current, previous, generated, nil
}

// loadPrevious reads the previous keys, skipping the current one and
// duplicates (an operator may leave the old key in place after rotating).
func loadPrevious(getenv func(string) string, current *MasterKey) ([]*MasterKey, error) {
	var texts, sources []string
	if v := getenv(EnvMasterKeyPrevious); v != "" {
		for i, part := range strings.Split(v, ",") {
			texts = append(texts, part)
			sources = append(sources, fmt.Sprintf("%s (entry %d)", EnvMasterKeyPrevious, i+1))
		}
	}
	if path := getenv(EnvMasterKeyPreviousFile); path != "" {
		body, err := readKeyFile(path)
		if err != nil {
			return nil, err
		}
		// The file may list several keys, one a line or comma-separated.
		for i, part := range strings.FieldsFunc(body, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
			texts = append(texts, part)
			sources = append(sources, fmt.Sprintf("%s %s (entry %d)", EnvMasterKeyPreviousFile, path, i+1))
		}
	}
	var out []*MasterKey
	seen := map[string]bool{current.ID: true}
	for i, text := range texts {
		if strings.TrimSpace(text) == "" {
			return nil, fmt.Errorf("master key: %s is empty", sources[i])
		}
		m, err := parseMasterKey(sources[i], text)
		if err != nil {
			return nil, err
		}
		if !seen[m.ID] {
			seen[m.ID] = true
			out = append(out, m)
		}
	}
	return out, nil
}

// parseMasterKey decodes base64 text (standard or URL alphabet, padded or
// not) of exactly 32 bytes. source names where the text came from.
func parseMasterKey(source, text string) (*MasterKey, error) {
	text = strings.TrimSpace(text)
	var raw []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err = enc.DecodeString(text); err == nil {
			break
		}
	}
	if err != nil {
		// The decoder's error quotes an offset, not the text: still, say
		// nothing about the content beyond its length.
		return nil, fmt.Errorf("master key from %s is not base64 (%d characters): want the base64 of 32 random bytes, e.g. from `openssl rand -base64 32`", source, len(text))
	}
	if len(raw) != 32 {
		return nil, fmt.Errorf("master key from %s decodes to %d bytes: want exactly 32", source, len(raw))
	}
	return NewMasterKey(raw)
}

func readMasterKeyFile(path string) (*MasterKey, error) {
	body, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	return parseMasterKey("file "+path, body)
}

// maxKeyFile bounds what readKeyFile reads: a key is 44 characters, a list
// of previous keys a few hundred.
const maxKeyFile = 64 << 10

// readKeyFile returns the trimmed text of a key file, refusing one that
// group or others may read: a master key readable by other accounts on the
// host decrypts every personal value and every backup.
func readKeyFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("master key file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("master key file %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("master key file %s is not a regular file", path)
	}
	// Windows has no Unix permission bits to check.
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("master key file %s is readable by group or others (mode %04o): run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return "", fmt.Errorf("master key file %s: %w", path, err)
	}
	if len(b) > maxKeyFile {
		return "", fmt.Errorf("master key file %s is too large to hold keys", path)
	}
	return strings.TrimSpace(string(b)), nil
}

// loadOrGenerate reads dataDir/master.key, creating it with a fresh random
// key on first start.
func loadOrGenerate(dataDir string) (*MasterKey, bool, error) {
	if dataDir == "" {
		return nil, false, fmt.Errorf("master key: set %s or %s, or a data directory to keep %s in", EnvMasterKeyFile, EnvMasterKey, MasterKeyFile)
	}
	path := filepath.Join(dataDir, MasterKeyFile)
	m, err := readMasterKeyFile(path)
	if err == nil {
		return m, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	won, err := generateKeyFile(dataDir, path)
	if err != nil {
		return nil, false, err
	}
	// Read back what is on disk: another process starting at the same time
	// may have created the file first, and both must use its key.
	m, err = readMasterKeyFile(path)
	if err != nil {
		return nil, false, err
	}
	return m, won, nil
}

// generateKeyFile writes a fresh key to path atomically: a temporary file,
// synced, then linked into place, so a crash never leaves a partial key and
// two processes starting at once never overwrite each other's key. It
// reports whether this call created the file.
func generateKeyFile(dataDir, path string) (bool, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return false, fmt.Errorf("master key: create data directory: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return false, fmt.Errorf("master key: read random bytes: %w", err)
	}
	tmp, err := os.CreateTemp(dataDir, ".master.key.*") // mode 0600
	if err != nil {
		return false, fmt.Errorf("master key: create %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return false, fmt.Errorf("master key: create %s: %w", path, err)
	}
	if _, err := tmp.WriteString(base64.StdEncoding.EncodeToString(raw) + "\n"); err != nil {
		tmp.Close()
		return false, fmt.Errorf("master key: write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, fmt.Errorf("master key: sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("master key: write %s: %w", path, err)
	}
	// A link fails if the file exists, where a rename would replace a key
	// another process has started to use. Filesystems without hard links
	// fall back to the rename.
	won := true
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			won = false
		} else if err := os.Rename(tmp.Name(), path); err != nil {
			return false, fmt.Errorf("master key: create %s: %w", path, err)
		}
	}
	if err := syncDir(dataDir); err != nil {
		return false, fmt.Errorf("master key: sync %s: %w", dataDir, err)
	}
	return won, nil
}

// syncDir makes a new directory entry durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be opened for syncing there
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
