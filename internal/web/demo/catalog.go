package demo

import "strings"

// Product is one item of the demo catalog.
type Product struct {
	SKU         string
	Name        string
	Category    string
	Price       float64
	Emoji       string
	Color       string // CSS background of the picture
	Description string
	Featured    bool
}

// Catalog is the demo shop's fixed product list.
var Catalog = []Product{
	{"JKT-ALP", "Alpine Shell Jacket", "jackets", 189, "🧥", "#d8e8e1", "Three-layer waterproof shell for long days above the tree line.", true},
	{"JKT-DWN", "Down Puffer Jacket", "jackets", 149.5, "🧥", "#e6e0f0", "800-fill down, packs into its own pocket.", false},
	{"BOT-TRL", "Trail Runner Boots", "boots", 129, "🥾", "#f3e3d3", "Light, grippy and waterproof.", true},
	{"BOT-WIN", "Winter Summit Boots", "boots", 219, "🥾", "#dfe6ee", "Insulated to −30 °C with a crampon-ready sole.", false},
	{"PCK-30L", "Daypack 30 L", "packs", 89.9, "🎒", "#f6edc9", "A ventilated back and a rain cover included.", true},
	{"TNT-2P", "Ridge Tent 2P", "tents", 329, "⛺", "#dcebd5", "Two people, 1.6 kg, pitches in three minutes.", false},
	{"BTL-1L", "Steel Bottle 1 L", "accessories", 24.5, "🍶", "#e3eef5", "Keeps tea hot for 12 hours.", false},
	{"HAT-WOL", "Merino Beanie", "accessories", 29, "🧢", "#f1dede", "Soft merino that never itches.", true},
}

// Find returns the product with the given SKU, or nil.
func Find(sku string) *Product {
	for i := range Catalog {
		if strings.EqualFold(Catalog[i].SKU, sku) {
			return &Catalog[i]
		}
	}
	return nil
}

// Search returns the products whose name, category or description contains
// every word of q (case-insensitive); all products when q is empty.
func Search(q string) []Product {
	words := strings.Fields(strings.ToLower(q))
	var out []Product
	for _, p := range Catalog {
		text := strings.ToLower(p.Name + " " + p.Category + " " + p.Description)
		ok := true
		for _, w := range words {
			if !strings.Contains(text, w) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, p)
		}
	}
	return out
}
