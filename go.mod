module github.com/leadqual/leadqual

go 1.24

require (
	github.com/expr-lang/expr v1.17.8
	github.com/shopspring/decimal v1.6.0
	github.com/stretchr/testify v1.12.1
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
