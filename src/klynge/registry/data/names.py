"""Name lists for the synthetic dataset. Common Danish given names and surnames;
the generator combines them at random, so no real person is described."""

GIVEN_NAMES_F = (
    "Anne Kirsten Mette Hanne Anna Helle Susanne Lene Maria Marianne Lone Camilla Pia Louise "
    "Charlotte Tina Gitte Bente Karen Julie Sofie Ida Emma Laura Cecilie Line Rikke Maja Mathilde "
    "Signe Trine Katrine Stine Birgitte Dorte Eva Inge Ulla Lise Malene Nanna Astrid Karina Heidi"
).split()
GIVEN_NAMES_M = (
    "Peter Jens Lars Michael Henrik Thomas Søren Jan Niels Anders Morten Jesper Mads Rasmus "
    "Christian Martin Ole Per Hans Kasper Jakob Frederik Mikkel Simon Poul Torben Carsten Steen "
    "Kristian Jørgen Bo Kim Allan Brian Klaus Erik Bjarne Flemming Anders Troels Esben Emil Oliver"
).split()
SURNAMES = (
    "Nielsen Jensen Hansen Pedersen Andersen Christensen Larsen Sørensen Rasmussen Jørgensen "
    "Petersen Madsen Kristensen Olsen Thomsen Christiansen Poulsen Johansen Møller Mortensen "
    "Knudsen Jakobsen Mikkelsen Olesen Frederiksen Laursen Henriksen Lund Schmidt Eriksen "
    "Holm Kristiansen Clausen Simonsen Svendsen Andreasen Iversen Jeppesen Vestergaard Mogensen "
    "Nissen Lauridsen Kjær Dahl Bech Bach Skov Krogh Overgaard Friis Lindholm Bruun Hald "
    "Juhl Damgaard Winther Østergaard Kjeldsen Brandt Toft Villadsen Ravn Storm Borg Dam"
).split()
STREETS = (
    "Algade Vestergade Østergade Nørregade Søndergade Torvet Jernbanegade Kirkevej Skolevej "
    "Stationsvej Havnegade Bredgade Storegade Møllevej Strandvejen Parkvej Lægehusvej Bygaden "
    "Hovedgaden Borgergade Klostergade Sygehusvej Engvej Skovvej Bakkegårdsvej Frederiksgade"
).split()
