module example.com/typicaltests

go 1.24
