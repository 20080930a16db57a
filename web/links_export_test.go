package web

// LinkText is linkText, for the tests outside the package.
var LinkText = linkText
